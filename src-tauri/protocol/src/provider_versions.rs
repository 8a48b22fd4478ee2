//! API versions that are part of a provider's paths, spelled once for the app and the provider
//! sandbox (which serves exactly these).

/// HubSpot's date-based API version (`/crm/objects/2026-03/contacts`): released each March and
/// September, each supported at least 18 months; the numeric v1–v4 paths lose support in
/// September 2027 (https://developers.hubspot.com/docs/api-reference/2026-03/overview).
pub const HUBSPOT: &str = "2026-03";
