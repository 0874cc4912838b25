package llb

import (
	"context"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// Locate returns st with its last step mapped to the place in the Dockerfile
// that loc names, as the steps dockerfile2llb makes are, and as [Append]
// maps its own: BuildKit's progress, errors and provenance then point every
// step of the build at a line.
//
// st is the frontend's own image. When BuildKit hands it over as a finished
// definition (the gateway's CurrentFrontend), its step cannot take a
// location the usual way: a definition keeps the locations it was made with
// and ignores the constraints it is marshalled with. So the definition is
// made again with the location in its source map. Locations are not part of
// a step's digest: the cache is the same.
//
// Example:
//
//	src, err := Locate(ctx, frontendImage, dockerfile.Location(ranges))
func Locate(ctx context.Context, st bkllb.State, loc bkllb.ConstraintsOpt) (bkllb.State, error) {
	var c bkllb.Constraints
	loc.SetConstraintsOption(&c)
	if len(c.SourceLocations) == 0 {
		return st, nil
	}
	def, err := st.Marshal(ctx)
	if err != nil {
		return bkllb.State{}, errors.Wrap(err, "failed to marshal the frontend image's definition")
	}
	pbDef := def.ToPB()
	if len(pbDef.Def) == 0 {
		return bkllb.State{}, errors.New("the frontend image's definition is empty")
	}
	// The last op of a marshalled state only points at its output: the
	// step to map is its input.
	var last pb.Op
	if err := last.UnmarshalVT(pbDef.Def[len(pbDef.Def)-1]); err != nil {
		return bkllb.State{}, errors.Wrap(err, "failed to parse the frontend image's definition")
	}
	if len(last.Inputs) != 1 {
		return bkllb.State{}, errors.Errorf("the frontend image's definition ends with %d outputs, want 1", len(last.Inputs))
	}
	if pbDef.Source == nil {
		pbDef.Source = &pb.Source{}
	}
	if pbDef.Source.Locations == nil {
		pbDef.Source.Locations = map[string]*pb.Locations{}
	}
	dgst := last.Inputs[0].Digest
	locs := pbDef.Source.Locations[dgst]
	if locs == nil {
		locs = &pb.Locations{}
		pbDef.Source.Locations[dgst] = locs
	}
	for _, l := range c.SourceLocations {
		locs.Locations = append(locs.Locations, &pb.Location{SourceIndex: int32(len(pbDef.Source.Infos)), Ranges: l.Ranges})
		pbDef.Source.Infos = append(pbDef.Source.Infos, &pb.SourceInfo{Filename: l.SourceMap.Filename, Language: l.SourceMap.Language, Data: l.SourceMap.Data})
	}
	op, err := bkllb.NewDefinitionOp(pbDef)
	if err != nil {
		return bkllb.State{}, errors.Wrap(err, "failed to locate the frontend image's step")
	}
	return bkllb.NewState(op), nil
}
