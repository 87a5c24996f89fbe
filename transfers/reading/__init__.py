"""The reading room: public, read-only pages (register, deal, actor, flows, search) over the API's reads."""
