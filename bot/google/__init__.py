"""Google adapter: OAuth (google-auth-oauthlib) and Calendar v3 calls (aiogoogle)."""
