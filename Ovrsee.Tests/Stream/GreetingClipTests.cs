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

public class SpokenPromptTests
{
    [Fact]
    public void The_prompt_ships_as_whole_mu_law_frames_a_few_seconds_long_and_not_silent()
    {
        Assert.InRange(SpokenPrompt.Duration, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8));
        Assert.All(SpokenPrompt.Frames, frame => Assert.Equal(GreetingClip.FrameBytes, frame.Length));
        // Speech, not silence: a good share of the samples are well away from zero.
        var loud = SpokenPrompt.Frames.SelectMany(f => f).Count(b => Math.Abs((int)MuLaw.Decode(b)) > 2000);
        Assert.True(loud > SpokenPrompt.Frames.Count * 160 / 10, $"{loud} loud samples");
    }

    [Fact]
    public void A_wav_that_is_not_mu_law_8_khz_mono_is_refused()
    {
        static byte[] Wav(ushort format, ushort channels, uint rate)
        {
            var fmt = new byte[16];
            BitConverter.TryWriteBytes(fmt.AsSpan(0), format);
            BitConverter.TryWriteBytes(fmt.AsSpan(2), channels);
            BitConverter.TryWriteBytes(fmt.AsSpan(4), rate);
            var body = "WAVE"u8.ToArray().Concat("fmt "u8.ToArray()).Concat(BitConverter.GetBytes(16)).Concat(fmt)
                .Concat("data"u8.ToArray()).Concat(BitConverter.GetBytes(2)).Concat(new byte[] { 0xFF, 0xFF }).ToArray();
            return "RIFF"u8.ToArray().Concat(BitConverter.GetBytes(body.Length)).Concat(body).ToArray();
        }

        Assert.Equal([0xFF, 0xFF], SpokenPrompt.MuLawSamples(Wav(7, 1, 8000)));
        Assert.Throws<InvalidDataException>(() => SpokenPrompt.MuLawSamples(Wav(1, 1, 8000)));
        Assert.Throws<InvalidDataException>(() => SpokenPrompt.MuLawSamples(Wav(7, 2, 8000)));
        Assert.Throws<InvalidDataException>(() => SpokenPrompt.MuLawSamples(Wav(7, 1, 16000)));
        Assert.Throws<InvalidDataException>(() => SpokenPrompt.MuLawSamples("not a wav file"u8));
    }
}
