using Ovrsee.WebhookApi.AlohaStream;

namespace Ovrsee.Tests.Streaming;

public class GreetingClipTests
{
    [Fact]
    public void The_built_in_clip_is_short_audible_mu_law_in_20_ms_frames()
    {
        Assert.All(GreetingClip.Frames, f => Assert.Equal(160, f.Length));
        Assert.InRange(GreetingClip.Duration, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(1));

        var pcm = GreetingClip.Frames.SelectMany(f => f).Select(MuLaw.Decode).ToArray();
        Assert.InRange(pcm.Max(s => Math.Abs((int)s)), 6000, 10000); // a moderate tone, not silence, not clipping
        Assert.True(Math.Abs((int)pcm[0]) < 100, "starts with a fade, not a click");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(-1000)]
    [InlineData(8000)]
    [InlineData(-32768)]
    [InlineData(32767)]
    public void Mu_law_round_trips_within_its_quantisation(short sample)
    {
        // μ-law's step doubles with each segment: about 1/16 of the (biased) magnitude at worst.
        var tolerance = (Math.Abs((int)sample) + 132) / 16 + 1;
        Assert.InRange(MuLaw.Decode(MuLaw.Encode(sample)) - sample, -tolerance, tolerance);
    }

    [Fact]
    public void Mu_law_matches_g711_reference_values()
    {
        Assert.Equal(0xFF, MuLaw.Encode(0));
        Assert.Equal(0x80, MuLaw.Encode(32767));
        Assert.Equal(0x00, MuLaw.Encode(-32768));
        Assert.Equal(0, MuLaw.Decode(0xFF));
        Assert.Equal(32124, MuLaw.Decode(0x80));
        Assert.Equal(-32124, MuLaw.Decode(0x00));
    }
}
