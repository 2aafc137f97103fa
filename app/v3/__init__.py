"""The v3 Custom Tables API (X-AccessToken, PascalCase bodies)."""
