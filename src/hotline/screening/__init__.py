"""Screening (甄别): every contact is stored; screening only flags, with reasons and referrals, and a
person confirms. Repeat and abusive contact, private-domain and out-of-remit matters, emergencies."""
