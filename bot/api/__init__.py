"""The JSON APIs (resident, worker, admin, notices, figures, Open311), what they share (payloads,
errors, staff sign-in) and the OpenAPI document that describes every one of them."""
