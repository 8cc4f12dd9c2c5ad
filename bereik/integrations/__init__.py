"""The municipality's other systems: webhooks for call events, the contact registration (Klantinteracties)."""
