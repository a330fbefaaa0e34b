from editorial import create_app

app = create_app()
