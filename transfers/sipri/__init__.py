"""Importing the SIPRI Arms Transfers Database.

- `parser`: reads a SIPRI trade-register export (the legacy one-row-per-deal
  register or the newer by-delivery-year export) into plain `Deal` records and
  `RowError`s, with no database access: format, encoding and preamble
  detection, rows split over two lines, uncertainty marks, categories inferred
  from descriptions.
- `importer`: writes those deals as Contract + Transfer + Deliveries, each
  backed by a Claim of the export's Source; idempotent, batched, keeps hand
  edits, merges the two formats' copies of one deal.
- `matching`: pairs a by-delivery-year deal with its legacy register row (no
  database access); releases use it too, to pair a deal across releases.
- `updates`: the importer's bulk UPDATE of many rows with their history.

The management command `import_sipri` is the public entry point.
"""
