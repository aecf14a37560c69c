//! Answer checks: a signing answer is compared with its request before it is returned.
//!
//! A certificate-issuing answer (Sign Sub CSR, Sign End CSR, Issue End Cert) is checked by
//! [`Operation::check_answer`](crate::Operation::check_answer) (feature `x509`):
//!
//! - the certificate's public key is the CSR's (Issue End Cert: the returned private key is the
//!   certificate's key);
//! - Sign Sub CSR's certificate is a CA (basicConstraints CA:TRUE);
//! - the certificate is issued by the first certificate of the chain: its issuer name is that
//!   certificate's subject and its signature verifies with that certificate's key;
//! - each chain certificate is issued by the next in the same way, and the last one is a
//!   self-signed root;
//! - its validity lies within `now` and `now` + the period asked for, with
//!   [`VALIDITY_TOLERANCE`] either side (clock skew, and the backdating CAs do).
//!
//! Signatures are verified with `rustls-webpki`'s algorithms on `ring`, the crypto provider the
//! clients' TLS already uses. `ring` cannot verify ECDSA over P-521: with the feature `p521`
//! (off by default; the clients forward it as their own `p521`) those signatures are verified
//! with RustCrypto's pure-Rust `p521` crate; without it, a link whose issuer key is a P-521 key
//! has its names checked but not its signature. Any other signature algorithm that cannot be
//! verified is a mismatch.
//!
//! A mismatch is [`Error::AnswerMismatch`](crate::Error::AnswerMismatch): the service did
//! issue a certificate (its serial is in the error), the client does not return it and never
//! retries. Revoke that serial.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far a certificate's validity may reach beyond `now`..`now + period` and still match:
/// clock differences (the gateway accepts 5 minutes) and the backdating of `notBefore` that
/// CAs do (step: 1 minute, Vault: 30 seconds, Let's Encrypt: 1 hour).
pub const VALIDITY_TOLERANCE: Duration = Duration::from_secs(3600);

/// A signing answer that does not match its request. The service did issue a certificate.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerMismatch {
    /// The operation's documented name (`Sign Sub CSR`).
    pub operation: &'static str,
    /// The CA that issued the certificate.
    pub ca_tag: String,
    /// The serial of the certificate the service issued (colon-separated hexadecimal), when it
    /// could be read.
    pub serial: Option<String>,
    /// What differs.
    pub problem: Mismatch,
}

impl AnswerMismatch {
    #[cfg_attr(not(feature = "x509"), allow(dead_code))]
    pub(crate) fn new(
        operation: &'static str,
        ca_tag: impl Into<String>,
        serial: Option<String>,
        problem: Mismatch,
    ) -> Self {
        AnswerMismatch {
            operation,
            ca_tag: ca_tag.into(),
            serial,
            problem,
        }
    }
}

impl fmt::Display for AnswerMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the answer to {} at CA {} does not match the request: {}. ",
            self.operation, self.ca_tag, self.problem
        )?;
        match &self.serial {
            Some(s) => write!(
                f,
                "The service did issue a certificate, serial {s}; it was not used and the request \
                 was not resent: revoke that serial (Revoke End Cert)"
            ),
            None => f.write_str(
                "The service did issue a certificate whose serial could not be read; it was not \
                 used and the request was not resent: find it in the CA's certificates (Get End \
                 Cert List) and revoke it",
            ),
        }
    }
}

impl std::error::Error for AnswerMismatch {}

/// What differs between a signing answer and its request.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// A certificate of the answer cannot be read.
    Unreadable {
        /// Which certificate (`the certificate`, `chain certificate 2`).
        what: String,
        /// What the parser said.
        reason: String,
    },
    /// The certificate's public key is not the CSR's.
    PublicKey,
    /// The returned private key is not the certificate's key.
    PrivateKey {
        /// How they differ, or why the key could not be read.
        reason: String,
    },
    /// Sign Sub CSR returned a certificate that is not a CA (no basicConstraints CA:TRUE).
    NotCa,
    /// The answer has no chain, so the issuer cannot be checked.
    NoChain,
    /// A certificate's issuer name is not the subject of the certificate after it.
    IssuerName {
        /// Which certificate (`the certificate`, `chain certificate 1`).
        what: String,
        /// Its issuer name.
        issuer: String,
        /// The subject of the certificate that should have issued it.
        expected: String,
    },
    /// A certificate's signature does not verify with its issuer's key.
    Signature {
        /// Which certificate.
        what: String,
    },
    /// A certificate is signed with an algorithm that cannot be verified.
    UnsupportedSignature {
        /// Which certificate.
        what: String,
    },
    /// The chain does not end in a self-signed root.
    NoRoot {
        /// The subject of the chain's last certificate.
        last_subject: String,
    },
    /// The certificate is valid from too early or too late.
    NotBefore {
        /// Its `notBefore`, Unix seconds.
        not_before: i64,
        /// The allowed range, Unix seconds.
        allowed: (i64, i64),
    },
    /// The certificate is valid until too late (longer than the period asked for), or has
    /// already expired.
    NotAfter {
        /// Its `notAfter`, Unix seconds.
        not_after: i64,
        /// The allowed range, Unix seconds.
        allowed: (i64, i64),
    },
}

fn date(secs: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    httpdate::fmt_http_date(t.max(SystemTime::UNIX_EPOCH))
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Unreadable { what, reason } => write!(f, "{what} cannot be read ({reason})"),
            Mismatch::PublicKey => {
                f.write_str("the certificate's public key is not the CSR's public key")
            }
            Mismatch::PrivateKey { reason } => write!(
                f,
                "the returned private key does not belong to the certificate ({reason})"
            ),
            Mismatch::NotCa => {
                f.write_str("the certificate is not a CA certificate (no basicConstraints CA:TRUE)")
            }
            Mismatch::NoChain => {
                f.write_str("the answer has no CA chain, so its issuer cannot be checked")
            }
            Mismatch::IssuerName {
                what,
                issuer,
                expected,
            } => write!(
                f,
                "{what} names the issuer {issuer:?}, but the next certificate of the chain is {expected:?}"
            ),
            Mismatch::Signature { what } => write!(
                f,
                "the signature of {what} does not verify with its issuer's public key"
            ),
            Mismatch::UnsupportedSignature { what } => write!(
                f,
                "the signature of {what} uses an algorithm that cannot be verified"
            ),
            Mismatch::NoRoot { last_subject } => write!(
                f,
                "the chain does not end in a self-signed root (its last certificate is {last_subject:?})"
            ),
            Mismatch::NotBefore {
                not_before,
                allowed,
            } => write!(
                f,
                "the certificate is valid from {}, outside {} .. {}",
                date(*not_before),
                date(allowed.0),
                date(allowed.1)
            ),
            Mismatch::NotAfter { not_after, allowed } => write!(
                f,
                "the certificate is valid until {}, outside {} .. {}",
                date(*not_after),
                date(allowed.0),
                date(allowed.1)
            ),
        }
    }
}

#[cfg(feature = "x509")]
pub(crate) use checks::{Expected, check_signed, csr_public_key};

#[cfg(feature = "x509")]
mod checks {
    use der::asn1::{AnyRef, ObjectIdentifier};
    use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};

    use super::{AnswerMismatch, Mismatch, VALIDITY_TOLERANCE};
    use crate::model::{PrivateKeyPem, SignedCertificate};
    use crate::pem_text::{decode_body, find_blocks};
    use crate::signing::Timestamp;
    use crate::x509::{
        Cert, EC_PUBLIC_KEY, PublicKey, RSA_ENCRYPTION, Verified, csr_from_der, same_key,
    };

    /// What a signing request asked for.
    pub(crate) struct Expected<'a> {
        pub(crate) operation: &'static str,
        pub(crate) ca_tag: &'a str,
        /// The CSR (Sign Sub CSR, Sign End CSR).
        pub(crate) csr_pem: Option<&'a str>,
        /// The private key the service made (Issue End Cert).
        pub(crate) private_key: Option<&'a PrivateKeyPem>,
        /// Sign Sub CSR: the certificate must be a CA.
        pub(crate) ca: bool,
        /// The period asked for, in days (`None`: the service's default or `MAX`).
        pub(crate) period_days: Option<u16>,
    }

    fn der_of(pem: &str, label: &str) -> Result<Vec<u8>, String> {
        let (blocks, _) = find_blocks(pem);
        let block = blocks
            .iter()
            .find(|b| b.label.ends_with(label))
            .ok_or_else(|| format!("no {label} PEM block"))?;
        decode_body(block.text).ok_or_else(|| format!("the {label} PEM block is not Base64"))
    }

    /// The public key of a PEM CSR.
    pub(crate) fn csr_public_key(csr_pem: &str) -> Result<PublicKey, String> {
        let der = der_of(csr_pem, "CERTIFICATE REQUEST")?;
        Ok(csr_from_der(&der)?.public_key)
    }

    fn parse_cert<'a>(der: &'a [u8], what: &str) -> Result<Cert<'a>, Mismatch> {
        Cert::from_der(der).map_err(|reason| Mismatch::Unreadable {
            what: what.to_owned(),
            reason,
        })
    }

    fn chain_name(i: usize) -> String {
        format!("chain certificate {}", i + 1)
    }

    fn verify(cert: &Cert<'_>, issuer: &PublicKey, what: &str) -> Result<(), Mismatch> {
        match cert.verify_signed_by(issuer) {
            Verified::Good => Ok(()),
            Verified::Unsupported => {
                // Documented: without the feature `p521`, names only for P-521 issuers (ring
                // has no P-521). With it, an unverifiable P-521 link is a mismatch like any.
                if issuer.is_p521() && cfg!(not(feature = "p521")) {
                    Ok(())
                } else {
                    Err(Mismatch::UnsupportedSignature {
                        what: what.to_owned(),
                    })
                }
            }
            Verified::Bad => Err(Mismatch::Signature {
                what: what.to_owned(),
            }),
        }
    }

    /// Checks `signed` against what was asked for, at `now`.
    pub(crate) fn check_signed(
        expected: &Expected<'_>,
        signed: &SignedCertificate,
        now: Timestamp,
    ) -> Result<(), Box<AnswerMismatch>> {
        let serial = std::cell::RefCell::new(signed.serial_no.clone());
        let fail = |problem: Mismatch| {
            Box::new(AnswerMismatch::new(
                expected.operation,
                expected.ca_tag,
                serial.borrow().clone(),
                problem,
            ))
        };
        let cert_der = der_of(&signed.certificate, "CERTIFICATE").map_err(|reason| {
            fail(Mismatch::Unreadable {
                what: "the certificate".to_owned(),
                reason,
            })
        })?;
        let cert = parse_cert(&cert_der, "the certificate").map_err(fail)?;
        *serial.borrow_mut() = Some(cert.serial());
        check_parsed(expected, &cert, &signed.ca_chain, now).map_err(fail)
    }

    fn check_parsed(
        expected: &Expected<'_>,
        cert: &Cert<'_>,
        chain: &[String],
        now: Timestamp,
    ) -> Result<(), Mismatch> {
        if let Some(csr) = expected.csr_pem {
            let spki = csr_public_key(csr).map_err(|reason| Mismatch::Unreadable {
                what: "the CSR".to_owned(),
                reason,
            })?;
            if !same_key(&spki, cert.public_key()) {
                return Err(Mismatch::PublicKey);
            }
        }
        if let Some(key) = expected.private_key {
            private_key_matches(key.expose_secret(), cert.public_key())
                .map_err(|reason| Mismatch::PrivateKey { reason })?;
        }
        if expected.ca && !cert.is_ca() {
            return Err(Mismatch::NotCa);
        }
        check_chain(cert, chain)?;
        check_validity(cert, expected.period_days, now)
    }

    fn check_chain(cert: &Cert<'_>, chain: &[String]) -> Result<(), Mismatch> {
        let ders = chain
            .iter()
            .enumerate()
            .map(|(i, pem)| {
                der_of(pem, "CERTIFICATE").map_err(|reason| Mismatch::Unreadable {
                    what: chain_name(i),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let certs = ders
            .iter()
            .enumerate()
            .map(|(i, der)| parse_cert(der, &chain_name(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(last) = certs.last() else {
            return Err(Mismatch::NoChain);
        };
        let mut child = cert;
        let mut child_name = "the certificate".to_owned();
        for (i, issuer) in certs.iter().enumerate() {
            if child.issuer() != issuer.subject() {
                return Err(Mismatch::IssuerName {
                    what: child_name,
                    issuer: child.issuer().to_string(),
                    expected: issuer.subject().to_string(),
                });
            }
            verify(child, issuer.public_key(), &child_name)?;
            child = issuer;
            child_name = chain_name(i);
        }
        if !last.self_issued() {
            return Err(Mismatch::NoRoot {
                last_subject: last.subject().to_string(),
            });
        }
        verify(last, last.public_key(), &chain_name(certs.len() - 1))
    }

    fn check_validity(
        cert: &Cert<'_>,
        period_days: Option<u16>,
        now: Timestamp,
    ) -> Result<(), Mismatch> {
        let tolerance = i64::try_from(VALIDITY_TOLERANCE.as_secs()).unwrap_or(i64::MAX);
        let now = i64::try_from(now.as_unix_millis() / 1000).unwrap_or(i64::MAX);
        let not_before = cert.not_before();
        let not_after = cert.not_after();
        let nb_range = (now.saturating_sub(tolerance), now.saturating_add(tolerance));
        if not_before < nb_range.0 || not_before > nb_range.1 {
            return Err(Mismatch::NotBefore {
                not_before,
                allowed: nb_range,
            });
        }
        let latest = match period_days {
            Some(d) => now
                .saturating_add(i64::from(d) * 86_400)
                .saturating_add(tolerance),
            None => i64::MAX,
        };
        if not_after <= now || not_after > latest {
            return Err(Mismatch::NotAfter {
                not_after,
                allowed: (now, latest),
            });
        }
        Ok(())
    }

    /// What a private key says its public key is.
    enum KeyPublic {
        /// RSA modulus and public exponent (big-endian, leading zeros removed).
        Rsa(Vec<u8>, Vec<u8>),
        /// The public point or key bytes (EC, Ed25519).
        Bits(Vec<u8>),
    }

    fn strip(int: &[u8]) -> Vec<u8> {
        let start = int.iter().position(|&b| b != 0).unwrap_or(int.len());
        int[start..].to_vec()
    }

    /// The DER elements of the SEQUENCE `der`.
    fn sequence(der: &[u8]) -> Result<Vec<AnyRef<'_>>, String> {
        let any = AnyRef::from_der(der).map_err(|e| e.to_string())?;
        if any.tag() != Tag::Sequence {
            return Err("not a DER SEQUENCE".to_owned());
        }
        sequence_items(any.value())
    }

    /// The DER elements one after the other in `content`.
    fn sequence_items(content: &[u8]) -> Result<Vec<AnyRef<'_>>, String> {
        let mut reader = SliceReader::new(content).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while !reader.is_finished() {
            out.push(AnyRef::decode(&mut reader).map_err(|e| e.to_string())?);
        }
        Ok(out)
    }

    fn integer_pair<'a>(parts: &[AnyRef<'a>], at: usize) -> Option<(&'a [u8], &'a [u8])> {
        match (parts.get(at), parts.get(at + 1)) {
            (Some(n), Some(e)) if n.tag() == Tag::Integer && e.tag() == Tag::Integer => {
                Some((n.value(), e.value()))
            }
            _ => None,
        }
    }

    /// RSAPrivateKey (PKCS #1): version, modulus, publicExponent, …
    fn rsa_public(der: &[u8]) -> Result<KeyPublic, String> {
        let parts = sequence(der)?;
        integer_pair(&parts, 1)
            .map(|(n, e)| KeyPublic::Rsa(strip(n), strip(e)))
            .ok_or_else(|| "not an RSA private key".to_owned())
    }

    /// The `[1] publicKey BIT STRING` of an ECPrivateKey (SEC 1) or a PKCS #8 v2 key.
    fn tagged_public_bits(parts: &[AnyRef<'_>]) -> Option<Vec<u8>> {
        let tagged = parts.iter().find(
            |p| matches!(p.tag(), Tag::ContextSpecific { number, .. } if number == TagNumber::N1),
        )?;
        // Explicit ([1] around a BIT STRING) in SEC 1; implicit in PKCS #8 v2.
        let bits = match AnyRef::from_der(tagged.value()) {
            Ok(inner) if inner.tag() == Tag::BitString => inner.value(),
            _ => tagged.value(),
        };
        // The first byte of a BIT STRING is the count of unused bits.
        bits.split_first().map(|(_, b)| b.to_vec())
    }

    fn ec_public(der: &[u8]) -> Result<KeyPublic, String> {
        let parts = sequence(der)?;
        tagged_public_bits(&parts)
            .map(KeyPublic::Bits)
            .ok_or_else(|| "the EC private key does not hold its public key".to_owned())
    }

    fn pkcs8_public(der: &[u8]) -> Result<KeyPublic, String> {
        let parts = sequence(der)?;
        let algorithm = parts
            .get(1)
            .filter(|a| a.tag() == Tag::Sequence)
            .and_then(|a| sequence_items(a.value()).ok())
            .and_then(|a| {
                a.first()
                    .and_then(|o| o.decode_as::<ObjectIdentifier>().ok())
            })
            .ok_or("not a PKCS #8 private key")?;
        let inner = parts
            .get(2)
            .filter(|p| p.tag() == Tag::OctetString)
            .ok_or("not a PKCS #8 private key")?;
        if algorithm == RSA_ENCRYPTION {
            rsa_public(inner.value())
        } else if algorithm == EC_PUBLIC_KEY {
            ec_public(inner.value())
        } else {
            tagged_public_bits(&parts)
                .map(KeyPublic::Bits)
                .ok_or_else(|| format!("a {algorithm} key without its public key"))
        }
    }

    /// `Ok` when the PEM private key `pem` is the key of `spki`; else why not.
    fn private_key_matches(pem: &str, spki: &PublicKey) -> Result<(), String> {
        let (blocks, _) = find_blocks(pem);
        let block = blocks
            .iter()
            .find(|b| b.label.ends_with("PRIVATE KEY"))
            .ok_or("no PRIVATE KEY PEM block")?;
        let der = decode_body(block.text).ok_or("the PRIVATE KEY PEM block is not Base64")?;
        let public = match block.label {
            "PRIVATE KEY" => pkcs8_public(&der)?,
            "RSA PRIVATE KEY" => rsa_public(&der)?,
            "EC PRIVATE KEY" => ec_public(&der)?,
            other => return Err(format!("a {other} block cannot be read")),
        };
        let key_bits = spki.key.as_slice();
        let same = match public {
            KeyPublic::Rsa(n, e) if spki.oid == RSA_ENCRYPTION => {
                // RSAPublicKey: modulus, publicExponent.
                sequence(key_bits)
                    .ok()
                    .and_then(|parts| {
                        integer_pair(&parts, 0).map(|(kn, ke)| n == strip(kn) && e == strip(ke))
                    })
                    .unwrap_or(false)
            }
            KeyPublic::Rsa(..) => false,
            KeyPublic::Bits(bits) => bits.as_slice() == key_bits,
        };
        if same {
            Ok(())
        } else {
            Err("its public key differs from the certificate's".to_owned())
        }
    }
}
