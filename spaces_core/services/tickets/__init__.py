"""Ticketed Spaces. `TicketService` (in `service`) is the one entry point; the rest is how it works:

- `core`: what the use cases share (loading, new orders, Checkouts, refunds, waitlist promotion) and the
  order of effects after a commit;
- `settlement`: Stripe's facts (webhook events, Checkouts read back) applied to our orders;
- `reconciliation`: what lost webhooks and crashes left behind, repaired from Stripe's records;
- `outbox`: the Stripe calls a committed change owes, carried out by a worker.
"""

from spaces_core.services.tickets.service import TicketService

__all__ = ["TicketService"]
