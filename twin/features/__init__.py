"""The one feature-query service: filters, bbox, datetime, CQL2, sorting, paging, counting,
kept boxes, masking, queryables and GeoJSON, called by every face (`service.py`)."""
