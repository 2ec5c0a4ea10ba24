"""The repository ports on the single DynamoDB table, through PynamoDB (see docs/architecture.md)."""
