"""How the platform tells people: emails, texts and calendar invitations rendered from notices."""
