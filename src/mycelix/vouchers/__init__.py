"""Signed play vouchers as proof of payment: the API queues a listener's voucher (playback starts
at once), a settlement worker submits queued vouchers to the router in batches, and the indexer
reconciles what settled and what was skipped. See docs/api.md ("Vouchers")."""
