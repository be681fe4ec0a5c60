//! The rules AWS sets on names and sizes, in one place: the local platform's `functions.toml`
//! and the panels' parameters (slide blocks and embed URLs) check by these same rules.
use std::ops::RangeInclusive;

/// A function's memory, in MB, as Lambda allows it.
pub const MEMORY_MB: RangeInclusive<u32> = 128..=10_240;
/// A function's ephemeral storage (`/tmp`), in MB.
pub const EPHEMERAL_MB: RangeInclusive<u32> = 512..=10_240;
/// The most a synchronous invocation's request or response payload may weigh, in bytes.
pub const PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;
/// The most an asynchronous (`Event`) invocation's payload may weigh, in bytes: 1 MB since
/// October 2025, 256 KB before. AWS's Invoke API reference: "For synchronous invocations, the
/// maximum payload size is 6 MB. For asynchronous invocations, the maximum payload size is 1 MB."
/// (docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html); AWS refuses more with
/// `RequestEntityTooLargeException` "… (limit 1048576 bytes)".
pub const ASYNC_PAYLOAD_LIMIT: usize = 1024 * 1024;

/// Why `name` is no Lambda function name (1 to 64 letters, digits, `-` or `_`), or `None`.
pub fn function_name_problem(name: &str) -> Option<&'static str> {
    let well_formed = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (!well_formed).then_some("a function name is 1 to 64 letters, digits, hyphens or underscores")
}

/// Why `name` breaks S3's rules for a general purpose bucket's name, or `None`.
pub fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let allowed =
        name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !(3..=63).contains(&name.len()) {
        Some("a bucket name is 3 to 63 characters")
    } else if !allowed {
        Some("a bucket name has only lowercase letters, digits, dots and hyphens")
    } else if !ends(name.bytes().next()) || !ends(name.bytes().last()) {
        Some("a bucket name begins and ends with a letter or digit")
    } else if name.contains("..") {
        Some("a bucket name has no two dots in a row")
    } else if name.parse::<std::net::Ipv4Addr>().is_ok() {
        Some("a bucket name is not an IP address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_follow_lambdas_rule() {
        for good in ["hello", "thumbnail-lambda", "a_1", &"x".repeat(64)] {
            assert_eq!(function_name_problem(good), None, "{good}");
        }
        for bad in ["", "../x", "a b", "<script>", &"x".repeat(65)] {
            assert!(function_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn bucket_names_follow_s3s_rules() {
        assert_eq!(bucket_name_problem("deck-photos"), None);
        assert_eq!(bucket_name_problem("my.photos.2026"), None);
        assert_eq!(bucket_name_problem("ab"), Some("a bucket name is 3 to 63 characters"));
        assert_eq!(
            bucket_name_problem("Deck_Photos"),
            Some("a bucket name has only lowercase letters, digits, dots and hyphens")
        );
        assert_eq!(
            bucket_name_problem("-photos"),
            Some("a bucket name begins and ends with a letter or digit")
        );
        assert_eq!(bucket_name_problem("a..b"), Some("a bucket name has no two dots in a row"));
        assert_eq!(bucket_name_problem("192.168.1.1"), Some("a bucket name is not an IP address"));
    }
}
