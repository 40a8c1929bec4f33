# PyInstaller runtime hook (packaging/deskpet.spec): HTTPS certificates for the frozen app.
# WORKAROUND for a frozen Python's OpenSSL looking for CA certificates on the build machine.
# A python.org or Homebrew Python looks for CA certificates at a path of the build machine
# that an owner's Mac does not have, so the first-run demo-model download (urllib, HTTPS)
# would fail certificate checks. Point OpenSSL at certifi's bundle, shipped inside the app,
# unless the owner chose a certificate file already.
# MAC-CHECK: on a Mac that never built deskpet, the app fetches the demo model over HTTPS
import os

try:
    import certifi
except ImportError:
    certifi = None
if certifi is not None and not os.environ.get("SSL_CERT_FILE"):
    os.environ["SSL_CERT_FILE"] = certifi.where()
