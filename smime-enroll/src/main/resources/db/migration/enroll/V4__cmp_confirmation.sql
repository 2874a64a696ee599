-- certConf bound to the answer it confirms (RFC 4210 5.1.1, RFC 9483 3.5): the senderNonce of the ip/cp/kup that
-- issued the certificates, which the certConf must carry as recipNonce; and the end of the confirmation window, after
-- which a scheduled sweep revokes certificates never confirmed (state becomes 'unconfirmed').
ALTER TABLE cmp_transaction ADD COLUMN answer_nonce VARCHAR(128);  -- hex of the senderNonce of the certificate answer
ALTER TABLE cmp_transaction ADD COLUMN confirm_by TIMESTAMP WITH TIME ZONE;
CREATE INDEX cmp_transaction_confirm_by ON cmp_transaction (state, confirm_by);
