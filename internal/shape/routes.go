package shape

import (
	"encoding/json"
	"strconv"
)

// Nouns used in error messages.
const (
	whatSchema             = "farm schema"
	whatFarmList           = "farm list"
	whatFarm               = "farm"
	whatFarmState          = "farm state"
	whatObservationList    = "observation list"
	whatObservation        = "observation"
	schemaV1, schemaV2     = "1", "2"
	fieldsKey, sectionsKey = "fields", "sections"
)

// FarmSchema checks GET /api/v1/admin/farms/schema: an object with
// schema_version; version 1 has "fields" (objects with non-empty string name
// and type) and no "sections"; version 2 has "sections", each with such
// "fields", and no top-level "fields". Any other version or combination is an
// error. Field types the UI does not know are accepted. It returns the
// declared schema version ("1" or "2").
func FarmSchema(body []byte) (string, error) {
	o, err := decodeObject(whatSchema, "the body", body)
	if err != nil {
		return "", err
	}
	v, err := schemaVersionOf(whatSchema, o)
	if err != nil {
		return "", err
	}
	_, hasFields := o[fieldsKey]
	_, hasSections := o[sectionsKey]
	switch {
	case v == schemaV1 && hasFields && !hasSections:
		return v, fieldList(o[fieldsKey], fieldsKey)
	case v == schemaV2 && hasSections && !hasFields:
		secs, err := decodeArray(whatSchema, sectionsKey, o[sectionsKey])
		if err != nil {
			return "", err
		}
		if len(secs) == 0 {
			return "", bad(whatSchema, `"sections" is empty`)
		}
		for i, raw := range secs {
			path := "sections[" + strconv.Itoa(i) + "]"
			so, err := decodeObject(whatSchema, strconv.Quote(path), raw)
			if err != nil {
				return "", err
			}
			f, err := member(whatSchema, so, fieldsKey, path+".fields")
			if err != nil {
				return "", err
			}
			if err := fieldList(f, path+".fields"); err != nil {
				return "", err
			}
		}
		return v, nil
	case v != schemaV1 && v != schemaV2:
		return "", bad(whatSchema, "schema_version %q is not supported (want 1 or 2)", v)
	case v == schemaV1:
		return "", bad(whatSchema, `schema_version 1 needs "fields" and no "sections"`)
	default:
		return "", bad(whatSchema, `schema_version 2 needs "sections" and no top-level "fields"`)
	}
}

// fieldList checks an array of field objects with string name and type.
func fieldList(raw json.RawMessage, path string) error {
	fields, err := decodeArray(whatSchema, path, raw)
	if err != nil {
		return err
	}
	for i, f := range fields {
		fp := path + "[" + strconv.Itoa(i) + "]"
		fo, err := decodeObject(whatSchema, strconv.Quote(fp), f)
		if err != nil {
			return err
		}
		if err := nonEmptyString(whatSchema, fo, "name", fp+".name"); err != nil {
			return err
		}
		if err := nonEmptyString(whatSchema, fo, "type", fp+".type"); err != nil {
			return err
		}
	}
	return nil
}

// FarmList checks GET /api/v1/farms/: a DRF page whose results are farm
// objects with an id.
func FarmList(body []byte) (string, error) {
	return "", drfPage(whatFarmList, body, func(o object, path string) error {
		return identifier(whatFarmList, o, "id", path+".id")
	})
}

// Farm checks GET /api/v1/farms/{id}/: an object with id and a non-empty name.
func Farm(body []byte) (string, error) {
	o, err := decodeObject(whatFarm, "the body", body)
	if err != nil {
		return "", err
	}
	if err := identifier(whatFarm, o, "id", "id"); err != nil {
		return "", err
	}
	return "", nonEmptyString(whatFarm, o, "name", "name")
}

// FarmState checks GET /api/v1/farms/{id}/state: an object with farm (an id)
// and ndvi (a number).
func FarmState(body []byte) (string, error) {
	o, err := decodeObject(whatFarmState, "the body", body)
	if err != nil {
		return "", err
	}
	if err := identifier(whatFarmState, o, "farm", "farm"); err != nil {
		return "", err
	}
	return "", number(whatFarmState, o, "ndvi", "ndvi")
}

// ObservationList checks GET /api/v1/observations/: a DRF page of objects
// with an id.
func ObservationList(body []byte) (string, error) {
	return "", drfPage(whatObservationList, body, func(o object, path string) error {
		return identifier(whatObservationList, o, "id", path+".id")
	})
}

// Observation checks one observation: an object with an id.
func Observation(body []byte) (string, error) {
	o, err := decodeObject(whatObservation, "the body", body)
	if err != nil {
		return "", err
	}
	return "", identifier(whatObservation, o, "id", "id")
}

// Interface guards: every check is a Validator.
var (
	_ Validator = FarmSchema
	_ Validator = FarmList
	_ Validator = Farm
	_ Validator = FarmState
	_ Validator = ObservationList
	_ Validator = Observation
)
