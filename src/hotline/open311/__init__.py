"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): services, service requests, tokens —
JSON and XML, with the spec's field names and error format. Requests become tickets of channel
open311 and go through screening and dispatch like any other."""
