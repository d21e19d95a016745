"""Running the business from chat: the configuration as one document (read, changed, exported
as a setup file), admins added in chat, and the audit log of every change."""
