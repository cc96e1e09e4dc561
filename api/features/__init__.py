"""OGC API - Features machinery: query building, CQL2, serialization, editing, masking."""
