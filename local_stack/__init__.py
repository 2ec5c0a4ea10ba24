"""The whole product on one machine: moto for AWS, the template's routes, a JWT check like
API Gateway's, stream and schedule delivery, a controllable clock. Development only."""
