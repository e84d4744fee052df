"""GraphQL documents the tests send, written as the frontend would write them."""

SUMMARY = "licenceSummary { total availableToAssign pendingInvite inUse }"
ERRORS = "userErrors { field message code }"

INVITE_LEARNERS = f"""
mutation Invite($input: InviteLearnersInput!) {{
  inviteLearners(input: $input) {{
    results {{ email status invitation {{ id email status }} }}
    invitations {{ id email }}
    missingLicences
    {SUMMARY}
    {ERRORS}
  }}
}}
"""

RESEND_INVITATION = f"""
mutation Resend($input: ResendInvitationInput!) {{
  resendInvitation(input: $input) {{ invitation {{ id status expiresAt }} {ERRORS} }}
}}
"""

REVOKE_INVITATION = f"""
mutation Revoke($input: RevokeInvitationInput!) {{
  revokeInvitation(input: $input) {{ invitation {{ id status }} {SUMMARY} {ERRORS} }}
}}
"""

ACCEPT_INVITATION = f"""
mutation Accept($input: AcceptInvitationInput!) {{
  acceptInvitation(input: $input) {{
    learner {{ id email name status invitation {{ status acceptedAt }} }}
    {SUMMARY}
    {ERRORS}
  }}
}}
"""

REMOVE_LEARNER = f"""
mutation Remove($input: RemoveLearnerInput!) {{
  removeLearner(input: $input) {{ learner {{ id status }} {SUMMARY} {ERRORS} }}
}}
"""

REQUEST_LICENCES = f"""
mutation Request($input: RequestLicencesInput!) {{
  requestLicences(input: $input) {{
    licenceRequest {{ id quantity note status requestedBy {{ email }} }}
    {SUMMARY}
    {ERRORS}
  }}
}}
"""

APPROVE_LICENCE_REQUEST = f"""
mutation Approve($input: ApproveLicenceRequestInput!) {{
  approveLicenceRequest(input: $input) {{
    licenceRequest {{ id status decidedAt decidedBy {{ email }} }}
    {SUMMARY}
    {ERRORS}
  }}
}}
"""

DECLINE_LICENCE_REQUEST = f"""
mutation Decline($input: DeclineLicenceRequestInput!) {{
  declineLicenceRequest(input: $input) {{
    licenceRequest {{ id status }}
    {SUMMARY}
    {ERRORS}
  }}
}}
"""

CREATE_ORGANISATION = f"""
mutation Create($input: CreateOrganisationInput!) {{
  createOrganisation(input: $input) {{ organisation {{ id name }} {SUMMARY} {ERRORS} }}
}}
"""

ADD_ADMIN = f"""
mutation AddAdmin($input: AddAdminInput!) {{
  addAdmin(input: $input) {{ admin {{ id email role }} {ERRORS} }}
}}
"""

ORGANISATION_SUMMARY = f"""
query Summary($id: ID!) {{ organisation(id: $id) {{ id name {SUMMARY} }} }}
"""

LEARNERS_PAGE = """
query Learners($id: ID!, $first: Int!, $after: String, $search: String,
               $status: LearnerStatus) {
  organisation(id: $id) {
    learners(first: $first, after: $after, search: $search, status: $status) {
      edges { cursor node { email name status invitation { invitedBy { email } } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""

INVITATIONS_PAGE = """
query Invitations($id: ID!, $status: InvitationStatus) {
  organisation(id: $id) {
    invitations(first: 100, status: $status) {
      nodes { email status learner { email } invitedBy { email } }
    }
  }
}
"""

LICENCE_REQUESTS_PAGE = """
query Requests($id: ID!, $status: LicenceRequestStatus) {
  organisation(id: $id) {
    licenceRequests(first: 10, status: $status) {
      nodes { quantity status requestedBy { email } decidedBy { email } }
    }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Learner { email }
    ... on Invitation { email }
    ... on Organisation { name }
    ... on LicenceRequest { quantity }
    ... on User { email }
  }
}
"""

VIEWER = "{ viewer { email role organisation { name } } }"

ORGANISATIONS = "{ organisations(first: 10) { nodes { name } } }"
