package normalize

import (
	"strings"
	"testing"
)

// Cases from dlt's snake_case convention, which Identifier must reproduce.
func TestIdentifierMatchesDltSnakeCase(t *testing.T) {
	tests := map[string]string{
		"event_value":         "event_value",
		"event value":         "event_value",
		"  padded  ":          "padded",
		"event-.!:*<>value":   "event_x_value",
		"123event_value":      "_123event_value",
		"Event_Value":         "event_value",
		"ChurnFactor":         "churn_factor",
		"HTTPResponse":        "http_response",
		"getHTTPResponseCode": "get_http_response_code",
		"onboardingComplete":  "onboarding_complete",
		"ALLCAPS":             "allcaps",
		"version2Id":          "version2_id",
		"__value":             "_value",
		"value__":             "valuexx",
		"__value__":           "_valuexx",
		"+":                   "x",
		"a+b*c":               "axbxc",
		"@home":               "ahome",
		"a|b":                 "alb",
		"1-1":                 "_1_1",
		"🦚Peacock":            "_peacock",
		"🦚🦚Peacocks":          "_peacocks",
		"🦚peacock🦚":           "_peacockx",
		"título":              "t_tulo",
		"children_count":      "children_count",
		"":                    "_empty",
		"   ":                 "_empty",
		"👍":                   "x",
	}
	for in, want := range tests {
		if got := Identifier(in, 0); got != want {
			t.Errorf("Identifier(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIdentifierIsIdempotent(t *testing.T) {
	for _, s := range []string{"ChurnFactor", "a-b c", "🦚x", "__x__", "Title Full", "x1Y2"} {
		once := Identifier(s, 0)
		if twice := Identifier(once, 0); twice != once {
			t.Errorf("Identifier(Identifier(%q)) = %q, not %q", s, twice, once)
		}
	}
}

func TestShortenedNamesKeepTheirEndsAndDiffer(t *testing.T) {
	long1 := strings.Repeat("very_long_column_name_", 5) + "one"
	long2 := strings.Repeat("very_long_column_name_", 5) + "two"
	a, b := Identifier(long1, 63), Identifier(long2, 63)
	if len(a) != 63 || len(b) != 63 || a == b {
		t.Fatalf("shortened %q (%d) and %q (%d)", a, len(a), b, len(b))
	}
	if !strings.HasPrefix(a, "very_long_column_name_very_lo") || !strings.HasSuffix(a, "name_one") {
		t.Fatalf("shortened name %q lost its head or tail", a)
	}
	if got := Identifier("short", 63); got != "short" {
		t.Fatalf("a short name was changed: %q", got)
	}
	// The tag is dlt's: SHAKE-128 of the original, 4 bytes, base64 without padding.
	if tag := computeTag("x"); len(tag) != 6 || strings.ToLower(tag) != tag {
		t.Fatalf("tag %q", tag)
	}
}

func TestPathAndVariantColumn(t *testing.T) {
	if got := Path(0, "resource_catalog", "properties", "custom"); got != "resource_catalog__properties__custom" {
		t.Fatal(got)
	}
	if got := Path(0, "sidebar_settings", "", "home"); got != "sidebar_settings__home" {
		t.Fatal(got)
	}
	if got := VariantColumn("children_count", Text, 0); got != "children_count__v_text" {
		t.Fatal(got)
	}
}
