"""SMS and WhatsApp through Twilio: the signed webhook, phone formatting, opt-outs."""
