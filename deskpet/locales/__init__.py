"""One catalog per language other than English: `MESSAGES`, from the English text to its
translation (deskpet/i18n.py explains the keys; tests/test_i18n.py keeps them complete)."""
