//! ECDSA signatures by P-521 keys, verified with RustCrypto's pure-Rust `p521` crate (feature
//! `p521`).
//!
//! `ring`, which verifies every other signature of the answer checks, has no P-521. These
//! algorithms have the form `rustls-webpki` takes (its `SignatureVerificationAlgorithm`), so
//! they sit next to its `ring` algorithms: [`ALGORITHMS`] is chained after
//! `webpki::ALL_VERIFICATION_ALGS` by [`Cert::verify_signed_by`](crate::x509::Cert), and `pca
//! verify` gives both lists to webpki. A P-521 CA signs with ecdsa-with-SHA512 as a rule; SHA-256
//! and SHA-384 with a P-521 key cost only a digest each, so they are verified too.
//!
//! Without the feature [`ALGORITHMS`] is empty.

use rustls_pki_types::SignatureVerificationAlgorithm;

/// The P-521 algorithms: ecdsa-with-SHA256, -SHA384 and -SHA512 with a P-521 key (empty
/// without the feature `p521`).
#[cfg(feature = "p521")]
pub static ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] =
    &[ECDSA_P521_SHA256, ECDSA_P521_SHA384, ECDSA_P521_SHA512];

/// The P-521 algorithms: none without the feature `p521`.
#[cfg(not(feature = "p521"))]
pub(crate) static ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[];

#[cfg(feature = "p521")]
pub(crate) use imp::{ECDSA_P521_SHA256, ECDSA_P521_SHA384, ECDSA_P521_SHA512};

#[cfg(feature = "p521")]
mod imp {
    use ::p521::ecdsa::signature::hazmat::PrehashVerifier;
    use ::p521::ecdsa::{Signature, VerifyingKey};
    use rustls_pki_types::{
        AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
    };
    use sha2::{Digest, Sha256, Sha384, Sha512};

    /// ECDSA with a P-521 key and SHA-256.
    pub(crate) static ECDSA_P521_SHA256: &dyn SignatureVerificationAlgorithm = &EcdsaP521 {
        signature_alg_id: alg_id::ECDSA_SHA256,
        digest: Hash::Sha256,
    };

    /// ECDSA with a P-521 key and SHA-384.
    pub(crate) static ECDSA_P521_SHA384: &dyn SignatureVerificationAlgorithm = &EcdsaP521 {
        signature_alg_id: alg_id::ECDSA_SHA384,
        digest: Hash::Sha384,
    };

    /// ECDSA with a P-521 key and SHA-512, what P-521 CAs sign with.
    pub(crate) static ECDSA_P521_SHA512: &dyn SignatureVerificationAlgorithm = &EcdsaP521 {
        signature_alg_id: alg_id::ECDSA_SHA512,
        digest: Hash::Sha512,
    };

    /// Bytes of a P-521 field element, and of the message representative given to the verifier.
    const FIELD_BYTES: usize = 66;

    #[derive(Debug, Clone, Copy)]
    enum Hash {
        Sha256,
        Sha384,
        Sha512,
    }

    #[derive(Debug)]
    struct EcdsaP521 {
        signature_alg_id: AlgorithmIdentifier,
        digest: Hash,
    }

    impl EcdsaP521 {
        /// The digest of `message`, right-aligned in a field-sized buffer.
        ///
        /// ECDSA (FIPS 186-5, SEC 1) takes a digest shorter than the group order whole, as an
        /// integer: leading zero bytes do not change it. The padding is needed because the
        /// `ecdsa` crate refuses a prehash shorter than half the field (33 bytes for P-521),
        /// which would turn away SHA-256.
        fn representative(&self, message: &[u8]) -> [u8; FIELD_BYTES] {
            let mut out = [0u8; FIELD_BYTES];
            let mut put = |digest: &[u8]| out[FIELD_BYTES - digest.len()..].copy_from_slice(digest);
            match self.digest {
                Hash::Sha256 => put(&Sha256::digest(message)),
                Hash::Sha384 => put(&Sha384::digest(message)),
                Hash::Sha512 => put(&Sha512::digest(message)),
            }
            out
        }
    }

    impl SignatureVerificationAlgorithm for EcdsaP521 {
        fn verify_signature(
            &self,
            public_key: &[u8],
            message: &[u8],
            signature: &[u8],
        ) -> Result<(), InvalidSignature> {
            // Only the uncompressed point form, the one RFC 5480 requires and the one `ring`
            // takes for P-256 and P-384 keys.
            if public_key.first() != Some(&0x04) {
                return Err(InvalidSignature);
            }
            let key = VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
            // X.509 carries ECDSA signatures as the DER Ecdsa-Sig-Value (r, s).
            let signature = Signature::from_der(signature).map_err(|_| InvalidSignature)?;
            key.verify_prehash(&self.representative(message), &signature)
                .map_err(|_| InvalidSignature)
        }

        fn public_key_alg_id(&self) -> AlgorithmIdentifier {
            alg_id::ECDSA_P521
        }

        fn signature_alg_id(&self) -> AlgorithmIdentifier {
            self.signature_alg_id
        }
    }
}

#[cfg(all(test, feature = "p521"))]
mod tests {
    use ::p521::ecdsa::signature::hazmat::PrehashSigner;
    use ::p521::ecdsa::{Signature, SigningKey, VerifyingKey};
    use rustls_pki_types::alg_id;
    use sha2::{Digest, Sha256, Sha384, Sha512};

    use super::*;

    const MESSAGE: &[u8] = b"the tbsCertificate bytes a CA signs";

    fn key(seed: u8) -> SigningKey {
        let mut secret = [seed; 66];
        secret[0] = 0x01; // below the group order
        SigningKey::from_slice(&secret).unwrap()
    }

    /// The uncompressed SEC 1 point of `key`'s public key.
    fn public(key: &SigningKey) -> Vec<u8> {
        VerifyingKey::from(key)
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// A DER signature of `message` by `key` with the digest `digest` gives, padded as ECDSA
    /// takes a short digest (see `representative`).
    fn sign(key: &SigningKey, digest: &[u8]) -> Vec<u8> {
        let mut z = [0u8; 66];
        z[66 - digest.len()..].copy_from_slice(digest);
        let signature: Signature = key.sign_prehash(&z).unwrap();
        signature.to_der().as_bytes().to_vec()
    }

    fn cases() -> [(&'static dyn SignatureVerificationAlgorithm, Vec<u8>); 3] {
        [
            (ECDSA_P521_SHA256, Sha256::digest(MESSAGE).to_vec()),
            (ECDSA_P521_SHA384, Sha384::digest(MESSAGE).to_vec()),
            (ECDSA_P521_SHA512, Sha512::digest(MESSAGE).to_vec()),
        ]
    }

    #[test]
    fn a_signature_by_the_key_verifies_and_a_flipped_bit_does_not() {
        let k = key(0x5a);
        for (alg, digest) in cases() {
            let signature = sign(&k, &digest);
            assert!(
                alg.verify_signature(&public(&k), MESSAGE, &signature)
                    .is_ok()
            );
            // A flipped bit in the last byte of s.
            let mut bad = signature.clone();
            *bad.last_mut().unwrap() ^= 0x01;
            assert!(alg.verify_signature(&public(&k), MESSAGE, &bad).is_err());
            // Another message, another key.
            assert!(
                alg.verify_signature(&public(&k), b"other", &signature)
                    .is_err()
            );
            assert!(
                alg.verify_signature(&public(&key(0x33)), MESSAGE, &signature)
                    .is_err()
            );
        }
    }

    #[test]
    fn the_digest_is_the_algorithms_own() {
        let k = key(0x5a);
        let by_sha512 = sign(&k, &Sha512::digest(MESSAGE));
        assert!(
            ECDSA_P521_SHA512
                .verify_signature(&public(&k), MESSAGE, &by_sha512)
                .is_ok()
        );
        for alg in [ECDSA_P521_SHA256, ECDSA_P521_SHA384] {
            assert!(
                alg.verify_signature(&public(&k), MESSAGE, &by_sha512)
                    .is_err()
            );
        }
    }

    #[test]
    fn keys_and_signatures_that_are_not_well_formed_fail() {
        let k = key(0x5a);
        let signature = sign(&k, &Sha512::digest(MESSAGE));
        let compressed = VerifyingKey::from(&k)
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        for key in [&compressed[..], &[], &public(&k)[..100]] {
            assert!(
                ECDSA_P521_SHA512
                    .verify_signature(key, MESSAGE, &signature)
                    .is_err()
            );
        }
        // The raw r || s form is not the DER X.509 uses.
        let raw = Signature::from_der(&signature).unwrap().to_bytes().to_vec();
        assert!(
            ECDSA_P521_SHA512
                .verify_signature(&public(&k), MESSAGE, &raw)
                .is_err()
        );
    }

    #[test]
    fn only_p521_keys_and_ecdsa_identifiers_are_matched() {
        let ids: Vec<_> = ALGORITHMS
            .iter()
            .map(|a| (a.public_key_alg_id(), a.signature_alg_id()))
            .collect();
        assert_eq!(
            ids,
            [
                (alg_id::ECDSA_P521, alg_id::ECDSA_SHA256),
                (alg_id::ECDSA_P521, alg_id::ECDSA_SHA384),
                (alg_id::ECDSA_P521, alg_id::ECDSA_SHA512),
            ]
        );
        for other in [
            alg_id::ECDSA_P256,
            alg_id::ECDSA_P384,
            alg_id::RSA_ENCRYPTION,
        ] {
            assert!(ALGORITHMS.iter().all(|a| a.public_key_alg_id() != other));
        }
    }

    #[test]
    fn a_p256_key_is_not_a_p521_key() {
        // A P-256 key with a P-521 signature: refused, not a panic.
        let k = key(0x5a);
        let signature = sign(&k, &Sha512::digest(MESSAGE));
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        assert_eq!(p256.public_key_raw().len(), 65);
        for alg in ALGORITHMS {
            assert!(
                alg.verify_signature(p256.public_key_raw(), MESSAGE, &signature)
                    .is_err()
            );
        }
    }
}
