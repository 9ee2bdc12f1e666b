using Twilio.Base;

namespace Ovrsee.Twilio.Rest;

public static class ResourceSetExtensions
{
    /// <summary>
    /// The page already fetched, without the SDK's auto-paging: it fetches further pages
    /// synchronously (blocking a thread on I/O), and our reads ask for one page of what they need.
    /// </summary>
    public static ResourceSet<T> FirstPageOnly<T>(this ResourceSet<T> set) where T : Resource
    {
        ArgumentNullException.ThrowIfNull(set);
        set.AutoPaging = false;
        return set;
    }
}
