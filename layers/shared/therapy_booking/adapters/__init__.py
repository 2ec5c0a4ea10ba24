"""Adapters: the ports of `therapy_booking.domain.ports` on AWS."""
