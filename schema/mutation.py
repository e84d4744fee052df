"""The root mutation: it only assembles the mutations, one module each."""

import strawberry

from schema.idempotency import make_idempotent
from schema.mutations import invitation_changes, licence_requests, organisations
from schema.mutations.invite_learners import invite_learners
from schema.mutations.remove_learner import remove_learner


@strawberry.type
class Mutation:
    invite_learners = strawberry.mutation(resolver=invite_learners)
    resend_invitation = strawberry.mutation(
        resolver=invitation_changes.resend_invitation
    )
    revoke_invitation = strawberry.mutation(
        resolver=invitation_changes.revoke_invitation
    )
    accept_invitation = strawberry.mutation(
        resolver=invitation_changes.accept_invitation
    )
    remove_learner = strawberry.mutation(resolver=remove_learner)
    request_licences = strawberry.mutation(resolver=licence_requests.request_licences)
    approve_licence_request = strawberry.mutation(
        resolver=licence_requests.approve_licence_request
    )
    decline_licence_request = strawberry.mutation(
        resolver=licence_requests.decline_licence_request
    )
    create_organisation = strawberry.mutation(
        resolver=organisations.create_organisation
    )
    add_admin = strawberry.mutation(resolver=organisations.add_admin)


# Every mutation takes an optional idempotencyKey; one extension handles it for all.
make_idempotent(Mutation)
