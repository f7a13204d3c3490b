//! A scripted SMTP server (just enough of RFC 5321) on a local port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use frontdesk_notify::{Channel, EmailAddress, Notifier, NotifyError};
use frontdesk_notify_adapters::{SmtpConfig, SmtpMailer, SmtpSecurity};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::cap_alert;

/// What the server was told: the commands, then each message's data.
#[derive(Default, Debug)]
struct Heard {
    commands: Vec<String>,
    data: Vec<String>,
}

/// Serves one connection at a time: 220, EHLO → 250, MAIL/RCPT, DATA → 354,
/// the message up to `.` → 250, QUIT → 221. `rcpt_reply` answers RCPT TO.
async fn fake_smtp(rcpt_reply: &'static str) -> (u16, Arc<Mutex<Heard>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let heard = Arc::new(Mutex::new(Heard::default()));
    let kept = heard.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let heard = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 fake.test ESMTP ready\r\n").await;
                let mut in_data = false;
                let mut message = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            heard.lock().unwrap_or_else(|p| p.into_inner()).data.push(std::mem::take(&mut message));
                            let _ = write.write_all(b"250 2.0.0 Ok: queued as 4F2A1\r\n").await;
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    heard.lock().unwrap_or_else(|p| p.into_inner()).commands.push(line.clone());
                    let verb = line.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-fake.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                        "MAIL" => b"250 2.1.0 Ok\r\n",
                        "RCPT" => rcpt_reply.as_bytes(),
                        "DATA" => {
                            in_data = true;
                            b"354 End data with <CR><LF>.<CR><LF>\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                            break;
                        }
                        "RSET" | "NOOP" => b"250 2.0.0 Ok\r\n",
                        _ => b"502 5.5.2 Command not recognized\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, heard)
}

fn mailer(port: u16) -> SmtpMailer {
    SmtpMailer::new(SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port,
        security: SmtpSecurity::Plain,
        credentials: None,
        from: "Frontdesk <alerts@frontdesk.example>".to_owned(),
        timeout: Duration::from_secs(2),
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn ops() -> Channel {
    Channel::Email(EmailAddress::parse("ops@frontdesk.example").unwrap_or_else(|e| panic!("{e}")))
}

#[tokio::test]
async fn a_notification_is_sent_as_a_plain_text_email() {
    let (port, heard) = fake_smtp("250 2.1.5 Ok\r\n").await;
    let delivered = mailer(port).deliver(None, &cap_alert(), &ops()).await;
    assert_eq!(delivered.map(|d| d.receipt).ok().as_deref(), Some("250 2.0.0 Ok: queued as 4F2A1"));
    let heard = heard.lock().unwrap_or_else(|p| p.into_inner());
    assert_eq!(heard.commands[0], "EHLO frontdesk.example");
    assert!(heard.commands.contains(&"MAIL FROM:<alerts@frontdesk.example>".to_owned()), "{:?}", heard.commands);
    assert!(heard.commands.contains(&"RCPT TO:<ops@frontdesk.example>".to_owned()), "{:?}", heard.commands);
    assert_eq!(heard.data.len(), 1);
    let message = &unquote(&heard.data[0]);
    assert!(heard.data[0].contains("Content-Transfer-Encoding: quoted-printable"), "long lines are wrapped");
    for expected in [
        "From: Frontdesk <alerts@frontdesk.example>",
        "To: ops@frontdesk.example",
        "Subject: Frontdesk: Fresh Cuts reached its minute cap",
        "Message-ID: <0192f0c4-0000-7000-8000-000000000001@frontdesk.example>",
        "Content-Type: text/plain; charset=utf-8",
        "Fresh Cuts has used all 500 included minutes for 2026-12 (500 used) & calls go to <the owner>.",
        "https://frontdesk.example/ops/shops",
    ] {
        assert!(message.contains(expected), "{expected:?} in\n{message}");
    }
}

/// Quoted-printable undone: soft line breaks joined, `=XX` decoded.
fn unquote(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_mailbox_the_server_refuses_is_final_and_a_busy_server_is_retried() {
    let (port, _) = fake_smtp("550 5.1.1 <ops@frontdesk.example>: Recipient address rejected\r\n").await;
    let refused = mailer(port).deliver(None, &cap_alert(), &ops()).await;
    assert!(matches!(&refused, Err(NotifyError::Rejected(why)) if why.contains("550")), "{refused:?}");

    let (port, _) = fake_smtp("451 4.3.0 Try again later\r\n").await;
    let busy = mailer(port).deliver(None, &cap_alert(), &ops()).await;
    assert!(matches!(&busy, Err(NotifyError::Unavailable(_))), "{busy:?}");
}

#[tokio::test]
async fn a_server_that_is_down_is_an_outage() {
    // A port nobody listens on: bind one, then let it go.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        listener.local_addr().map(|a| a.port()).unwrap_or_default()
    };
    let down = mailer(port).deliver(None, &cap_alert(), &ops()).await;
    assert!(matches!(&down, Err(NotifyError::Unavailable(_))), "{down:?}");
}
