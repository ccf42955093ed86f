//! Any input: the filter and path parsers return (never panic), and whatever parses prints in a
//! form that parses back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = scimkit_filter::parse(text) {
        let printed = filter.to_string();
        let limits = scimkit_filter::Limits {
            max_length: usize::MAX,
            ..scimkit_filter::Limits::default()
        };
        assert_eq!(limits.parse(&printed).as_ref(), Ok(&filter), "{printed}");
    }
    if let Ok(path) = scimkit_filter::parse_path(text) {
        let printed = path.to_string();
        let limits = scimkit_filter::Limits {
            max_length: usize::MAX,
            ..scimkit_filter::Limits::default()
        };
        assert_eq!(limits.parse_path(&printed).as_ref(), Ok(&path), "{printed}");
    }
});
