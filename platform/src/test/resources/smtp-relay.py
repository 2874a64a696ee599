# An SMTP relay for the mail sender's tests (PythonSmtpRelay), on Python's smtpd: prints one line per connection, mail
# taken or refused, and QUIT, and one line per header field of each mail taken.
# Refuses (550 after DATA) mail for recipients whose address contains "refused".
import asyncore
import smtpd
import sys


def log(line):
    print(line, flush=True)


class Channel(smtpd.SMTPChannel):
    def smtp_QUIT(self, arg):
        log("quit")
        super().smtp_QUIT(arg)


class Relay(smtpd.SMTPServer):
    channel_class = Channel

    def handle_accepted(self, conn, addr):
        log("connect")
        super().handle_accepted(conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        if any("refused" in r for r in rcpttos):
            log("refuse " + ",".join(rcpttos))
            return "550 5.7.1 refused by policy"
        text = data.decode("utf-8", "replace").replace("\r\n", "\n")
        for field in text.split("\n\n", 1)[0].split("\n"):
            log("header " + field)
        log("mail " + ",".join(rcpttos))


Relay(("127.0.0.1", int(sys.argv[1])), None, decode_data=False)
log("listening")
asyncore.loop()
