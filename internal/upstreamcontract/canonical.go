package upstreamcontract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// canonicalJSON decodes doc (JSON, or YAML when it is not JSON) and encodes it
// again as JSON with object members sorted by name and no insignificant
// whitespace. Numbers go through float64, so 1, 1.0 and 1e0 encode alike.
func canonicalJSON(doc []byte) ([]byte, error) {
	var tree any
	if err := json.Unmarshal(doc, &tree); err != nil {
		var root yaml.Node
		if yerr := yaml.Unmarshal(doc, &root); yerr != nil {
			return nil, fmt.Errorf("neither JSON (%v) nor YAML (%v)", err, yerr)
		}
		budget := maxYAMLNodes
		if tree, err = fromYAML(&root, &budget); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// maxYAMLNodes bounds the nodes fromYAML visits, aliases expanded, so that a
// document of nested aliases ("billion laughs") cannot exhaust memory.
const maxYAMLNodes = 1 << 20

// fromYAML turns a YAML node into what encoding/json decodes from the same
// document as JSON: mapping keys become strings (OpenAPI's status codes are
// often unquoted, hence integers, in YAML), numbers float64, and timestamps
// and binaries keep their text, as quoted strings would.
func fromYAML(n *yaml.Node, budget *int) (any, error) {
	if *budget--; *budget < 0 {
		return nil, errors.New("YAML document too large to hash (aliases expanded)")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromYAML(n.Content[0], budget)
	case yaml.AliasNode:
		return fromYAML(n.Alias, budget)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := fromYAML(c, budget)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		if err := mergeMapping(out, n, budget); err != nil {
			return nil, err
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, err
			}
			return jsonScalar(v)
		}
		return n.Value, nil // !!str, !!timestamp, !!binary, custom tags
	}
	return nil, fmt.Errorf("YAML node of unsupported kind %d", n.Kind)
}

// mergeMapping adds the members of mapping n to out; a member already set
// wins over the ones a merge key ("<<") brings in.
func mergeMapping(out map[string]any, n *yaml.Node, budget *int) error {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		val, err := fromYAML(v, budget)
		if err != nil {
			return err
		}
		out[k.Value] = val
	}
	for _, m := range merges {
		if m.Kind == yaml.AliasNode {
			m = m.Alias
		}
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			if src.Kind == yaml.AliasNode {
				src = src.Alias
			}
			if src.Kind != yaml.MappingNode {
				return errors.New("YAML merge key of a non-mapping")
			}
			merged := make(map[string]any)
			if err := mergeMapping(merged, src, budget); err != nil {
				return err
			}
			for k, v := range merged {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
		}
	}
	return nil
}

// jsonScalar converts a YAML bool or number to the JSON value decoding gives.
func jsonScalar(v any) (any, error) {
	switch v := v.(type) {
	case bool, float64:
		return v, nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	}
	return nil, fmt.Errorf("YAML scalar of unsupported type %T", v)
}

// digest is the first 16 hex digits of the SHA-256 of b.
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
