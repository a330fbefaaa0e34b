"""Database models, one module per area; everything is re-exported here, so that
``from editorial.models import Post`` works whichever module a model lives in."""

from editorial.models.accounts import ApiToken, Invitation, Role, User, UserRole, UserSession
from editorial.models.audit import AuditEvent
from editorial.models.base import NAMING_CONVENTION, Base, UTCDateTime, db, enum_type, utcnow
from editorial.models.notifications import Notification
from editorial.models.posts import Post, Revision, RevisionFindings, WorkingCopy
from editorial.models.previews import PreviewLink
from editorial.models.publishing import JobStatus, PostTag, Publication, PublishJob, SiteState
from editorial.models.review import Comment, ReviewClaim, Signoff
from editorial.models.subscriptions import (
    Delivery,
    Mailing,
    MailingKind,
    Subscriber,
    SubscriberStatus,
    SubscriberTag,
)

__all__ = [
    "NAMING_CONVENTION",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Comment",
    "Delivery",
    "Invitation",
    "JobStatus",
    "Mailing",
    "MailingKind",
    "Notification",
    "Post",
    "PostTag",
    "PreviewLink",
    "Publication",
    "PublishJob",
    "Revision",
    "ReviewClaim",
    "RevisionFindings",
    "Role",
    "Signoff",
    "SiteState",
    "Subscriber",
    "SubscriberStatus",
    "SubscriberTag",
    "UTCDateTime",
    "User",
    "UserRole",
    "UserSession",
    "WorkingCopy",
    "db",
    "enum_type",
    "utcnow",
]
