"""Import every domain's tables so that metadata (Alembic, tests) sees them all."""

from hotline.accounts import models as accounts_models
from hotline.analytics import models as analytics_models
from hotline.categories import models as categories_models
from hotline.cti import models as cti_models
from hotline.dispatch import models as dispatch_models
from hotline.followup import models as followup_models
from hotline.kb import models as kb_models
from hotline.llm import models as llm_models
from hotline.nlp import models as nlp_models
from hotline.notify import models as notify_models
from hotline.org import models as org_models
from hotline.screening import models as screening_models
from hotline.sla import models as sla_models
from hotline.supervision import models as supervision_models
from hotline.tickets import models as tickets_models
from hotline.webhooks import models as webhooks_models
from hotline.workflow import models as workflow_models

__all__ = [
    "accounts_models",
    "analytics_models",
    "categories_models",
    "cti_models",
    "dispatch_models",
    "followup_models",
    "kb_models",
    "llm_models",
    "nlp_models",
    "notify_models",
    "org_models",
    "screening_models",
    "sla_models",
    "supervision_models",
    "tickets_models",
    "webhooks_models",
    "workflow_models",
]
