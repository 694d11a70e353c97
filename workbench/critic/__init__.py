"""The critic: the third validation layer, which reads the question, the spec and the result.

``critique(question, spec, schema, conventions, result=None)`` is the one call; it never raises.
It must not import ``workbench.offline``: it checks real models, and sharing the offline model's
parser would hide exactly the mistakes the two share.
"""

from __future__ import annotations

from workbench.critic.consistency import agreement, auroc
from workbench.critic.critic import critic_check, critique, is_critic_finding

__all__ = ["agreement", "auroc", "critic_check", "critique", "is_critic_finding"]
