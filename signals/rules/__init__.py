"""The rules, one module each. A record rule exposes ``RULE``, ``SEVERITY``, ``VERSION``,
``DESCRIPTION``, ``RISK`` and ``evaluate(ctx) -> list[Finding]``; a network rule the same
constants and ``evaluate_network(session) -> list[Finding]``. The engine's registries
(:data:`signals.engine.RECORD_RULES`, :data:`signals.engine.NETWORK_RULES`) list them."""
