import strawberry

from resolvers import learners
from schema.errors import UserError
from schema.idempotency import IdempotentInput
from schema.mutations.common import Info, answer
from schema.relay import pk_of
from schema.types.learning import Learner
from schema.types.organisation import LicenceSummary


@strawberry.input
class RemoveLearnerInput(IdempotentInput):
    learner_id: strawberry.ID


@strawberry.type
class RemoveLearnerPayload:
    learner: Learner | None = None
    licence_summary: LicenceSummary | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def remove_learner(info: Info, input: RemoveLearnerInput) -> RemoveLearnerPayload:
    """Deactivate a learner; their licence becomes available again."""
    viewer = info.context.require_viewer()
    work = learners.remove_learner(
        info.context.services, viewer, pk_of(input.learner_id, "Learner")
    )
    return await answer(
        work,
        lambda removal: RemoveLearnerPayload(
            learner=Learner.from_row(removal.learner),
            licence_summary=LicenceSummary.from_figures(removal.figures),
        ),
        RemoveLearnerPayload,
    )
