//! The codes that refusals carry: the service envelope's `code` and the gateway's `errorCode`.
//!
//! Both are open sets: the values known from NAVER's documentation and generated client are
//! typed, any other value is kept as text in `Other`.

use std::fmt;

macro_rules! service_codes {
    ($($variant:ident => $wire:literal,)*) => {
        /// The `code` member of the Private CA envelope `{code, msg, data}`.
        ///
        /// The typed values are the 73 declared by NAVER's generated client (spellings kept as
        /// generated, including `INVALID_INPUT_PAGENUMBBER` and the `INVAILD_` prefix). Their
        /// mapping to HTTP statuses is not published.
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ServiceCode {
            $(
                #[doc = concat!("`", $wire, "`")]
                $variant,
            )*
            /// A code not in the known list, kept as received.
            Other(String),
        }

        impl ServiceCode {
            /// Every known code, in the generated client's order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The code for a wire value.
            pub fn parse(s: &str) -> Self {
                match s {
                    $($wire => ServiceCode::$variant,)*
                    other => ServiceCode::Other(other.to_owned()),
                }
            }

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(ServiceCode::$variant => $wire,)*
                    ServiceCode::Other(s) => s,
                }
            }
        }
    };
}

service_codes! {
    Success => "SUCCESS",
    NotFound => "NOT_FOUND",
    Forbidden => "FORBIDDEN",
    InternalServerError => "INTERNAL_SERVER_ERROR",
    InvalidStatus => "INVALID_STATUS",
    InvalidRequest => "INVALID_REQUEST",
    Unauthorized => "UNAUTHORIZED",
    UnprocessableEntity => "UNPROCESSABLE_ENTITY",
    NotAuthorizedRequest => "NOT_AUTHORIZED_REQUEST",
    NotAuthorizedAction => "NOT_AUTHORIZED_ACTION",
    EmptyNcloudInstanceNo => "EMPTY_NCLOUD_INSTANCE_NO",
    EmptyAuthToken => "EMPTY_AUTH_TOKEN",
    EmptyTenantId => "EMPTY_TENANT_ID",
    EmptyIdNo => "EMPTY_ID_NO",
    EmptyCaAlias => "EMPTY_CA_ALIAS",
    EmptyKeyType => "EMPTY_KEY_TYPE",
    EmptyCaTtl => "EMPTY_CA_TTL",
    EmptyCommonName => "EMPTY_COMMON_NAME",
    EmptyX509Parameters => "EMPTY_X509_PARAMETERS",
    EmptyCsr => "EMPTY_CSR",
    EmptyCert => "EMPTY_CERT",
    EmptyStatus => "EMPTY_STATUS",
    EmptyCaId => "EMPTY_CA_ID",
    EmptyIssuerId => "EMPTY_ISSUER_ID",
    EmptySerialNo => "EMPTY_SERIAL_NO",
    EmptyAccessToken => "EMPTY_ACCESS_TOKEN",
    EmptyCaType => "EMPTY_CA_TYPE",
    InvalidInputCert => "INVALID_INPUT_CERT",
    InvalidInputCaChain => "INVALID_INPUT_CA_CHAIN",
    InvalidInputStatus => "INVALID_INPUT_STATUS",
    InvalidInputPeriod => "INVALID_INPUT_PERIOD",
    InvalidInputPagenumbber => "INVALID_INPUT_PAGENUMBBER",
    InvalidInputSerialNo => "INVALID_INPUT_SERIAL_NO",
    InvalidInput => "INVALID_INPUT",
    InvalidPath => "INVALID_PATH",
    InvaildTenantId => "INVAILD_TENANT_ID",
    InvaildIdNo => "INVAILD_ID_NO",
    InvaildAccessToken => "INVAILD_ACCESS_TOKEN",
    InvaildAccessTokenTtl => "INVAILD_ACCESS_TOKEN_TTL",
    InvaildPolicyName => "INVAILD_POLICY_NAME",
    InvalidUser => "INVALID_USER",
    InvalidX509KeyType => "INVALID_X509_KEY_TYPE",
    InvalidX509Ttl => "INVALID_X509_TTL",
    InvalidX509Ip => "INVALID_X509_IP",
    InvalidX509Uri => "INVALID_X509_URI",
    InvalidX509Other => "INVALID_X509_OTHER",
    InvalidX509KeyUsage => "INVALID_X509_KEY_USAGE",
    InvalidX509ExtendedKeyUsage => "INVALID_X509_EXTENDED_KEY_USAGE",
    InvalidCastore => "INVALID_CASTORE",
    InvalidCastoreStatus => "INVALID_CASTORE_STATUS",
    InvalidCaStatus => "INVALID_CA_STATUS",
    InvalidIssuerCa => "INVALID_ISSUER_CA",
    InvalidCa => "INVALID_CA",
    InvalidAction => "INVALID_ACTION",
    InvalidCert => "INVALID_CERT",
    ExceedExpiryDate => "EXCEED_EXPIRY_DATE",
    ExceedCaAlias => "EXCEED_CA_ALIAS",
    ExceedCommonName => "EXCEED_COMMON_NAME",
    ExceedSigningCount => "EXCEED_SIGNING_COUNT",
    AlreadyExistCastore => "ALREADY_EXIST_CASTORE",
    AlreadyExistAlias => "ALREADY_EXIST_ALIAS",
    AlreadyExistPolicy => "ALREADY_EXIST_POLICY",
    AlreadyExistNcloudInstanceNo => "ALREADY_EXIST_NCLOUD_INSTANCE_NO",
    NotExistCastore => "NOT_EXIST_CASTORE",
    NotExistIssuerCa => "NOT_EXIST_ISSUER_CA",
    NotExistPolicy => "NOT_EXIST_POLICY",
    FailBlocCreateInstance => "FAIL_BLOC_CREATE_INSTANCE",
    FailBlocReturnInstance => "FAIL_BLOC_RETURN_INSTANCE",
    FailCreatePolicy => "FAIL_CREATE_POLICY",
    FailUpdateCa => "FAIL_UPDATE_CA",
    FailSendMail => "FAIL_SEND_MAIL",
    FailRequest => "FAIL_REQUEST",
    FailCore => "FAIL_CORE",
}

impl fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ServiceCode {
    /// `true` for `SUCCESS`.
    pub fn is_success(&self) -> bool {
        matches!(self, ServiceCode::Success)
    }
}

macro_rules! gateway_codes {
    ($($variant:ident => $wire:literal, $status:literal, $message:literal;)*) => {
        /// The API gateway's `errorCode` (documented table of the common error-handling page).
        #[non_exhaustive]
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum GatewayErrorCode {
            $(
                #[doc = concat!("`", $wire, "`: HTTP ", $status, " ", $message)]
                $variant,
            )*
            /// A code not in the documented table, kept as received.
            Other(String),
        }

        impl GatewayErrorCode {
            /// The code for a wire value (`"200"` or `200`).
            pub fn parse(s: &str) -> Self {
                match s.trim() {
                    $($wire => GatewayErrorCode::$variant,)*
                    other => GatewayErrorCode::Other(other.to_owned()),
                }
            }

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(GatewayErrorCode::$variant => $wire,)*
                    GatewayErrorCode::Other(s) => s,
                }
            }

            /// The HTTP status the documentation pairs with this code.
            pub fn documented_status(&self) -> Option<u16> {
                match self {
                    $(GatewayErrorCode::$variant => Some($status),)*
                    GatewayErrorCode::Other(_) => None,
                }
            }

            /// The documented message of this code.
            pub fn documented_message(&self) -> Option<&'static str> {
                match self {
                    $(GatewayErrorCode::$variant => Some($message),)*
                    GatewayErrorCode::Other(_) => None,
                }
            }
        }
    };
}

gateway_codes! {
    BadRequest => "100", 400, "Bad Request Exception";
    AuthenticationFailed => "200", 401, "Authentication Failed";
    PermissionDenied => "210", 401, "Permission Denied";
    NotFound => "300", 404, "Not Found Exception";
    QuotaExceeded => "400", 429, "Quota Exceeded";
    ThrottleLimited => "410", 429, "Throttle Limited";
    RateLimited => "420", 429, "Rate Limited";
    RequestEntityTooLarge => "430", 413, "Request Entity Too Large";
    EndpointError => "500", 503, "Endpoint Error";
    EndpointTimeout => "510", 504, "Endpoint Timeout";
    UnexpectedError => "900", 500, "Unexpected Error";
}

impl fmt::Display for GatewayErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
