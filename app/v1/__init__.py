"""The v1 Tables API (`/api/v1`, `x-api-key`, `{"success": …, "data": …}` envelopes)."""
