global using Ovrsee.Data;
global using Ovrsee.Provisioning.Extensions;
global using Ovrsee.Provisioning.Apis;
