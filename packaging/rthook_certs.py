# PyInstaller runtime hook (packaging/deskpet.spec): HTTPS certificates for the frozen app.
# A python.org or Homebrew Python looks for CA certificates at a path of the build machine
# that an owner's Mac does not have, so the first-run demo-model download (urllib, HTTPS)
# would fail certificate checks. Point OpenSSL at certifi's bundle, shipped inside the app,
# unless the owner chose a certificate file already.
import os

try:
    import certifi
except ImportError:
    certifi = None
if certifi is not None and not os.environ.get("SSL_CERT_FILE"):
    os.environ["SSL_CERT_FILE"] = certifi.where()
