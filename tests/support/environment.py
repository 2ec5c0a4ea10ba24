"""The environment tests (and benchmarks) run handlers in: fake credentials, moto-friendly endpoints."""

TEST_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_REGION": "eu-west-2",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "TABLE_NAME": "therapy-booking-test",
    "POWERTOOLS_SERVICE_NAME": "therapy-booking",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "TherapyBooking",
}
