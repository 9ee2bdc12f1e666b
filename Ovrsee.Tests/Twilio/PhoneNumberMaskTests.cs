using Ovrsee.Twilio;

namespace Ovrsee.Tests.Twilio;

public class PhoneNumberMaskTests
{
    [Theory]
    [InlineData("+14155551234", "+1415***1234")]
    [InlineData("+442071838750", "+4420***8750")]
    [InlineData("client:alice-in-wonderland", "clien***land")]
    [InlineData("+1415555", "***")]
    [InlineData("anonymous", "***")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Masks_the_middle(string? input, string expected) => Assert.Equal(expected, PhoneNumberMask.Mask(input));
}
