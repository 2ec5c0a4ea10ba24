"""The booking domain: pure rules, no AWS and no HTTP."""
