"""HTTP layer: request/response models, caller identity, problem details."""
