-- Orders by mailbox and time: how many challenge mails went to a mailbox within the hour (the per-mailbox limit).
CREATE INDEX acme_order_mailbox ON acme_order (mailbox, created_at);
