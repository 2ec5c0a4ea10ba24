"""Request and response bodies of the HTTP API (they also make the OpenAPI document), in modules by route group,
so that each function builds the models of its own routes only:

- `fields`: the field types the bodies share (instants, texts, contact formats, money, locations);
- `problems`: the error answers every route documents;
- `sessions`: a session as answered, by every route that changes or reads one;
- `booking`, `reasons` (decline, cancel), `client_answers`, `rearrangement`, `admin`: request bodies;
- `therapists`: a therapist's public profile; `reads`, `profiles`: those functions' own bodies.

Import from the module itself: this package re-exports nothing, so importing it builds no model.
"""
