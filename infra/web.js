// The web app's hosting and sign-in on deployed stages (README "Deploying to AWS", "The
// web app"). serverless.yml reads `resources` and `outputs` from this file; local stages
// get neither (npm start serves web/dist with vite preview).
//
//   webMode create (default)  a private S3 bucket (SSE-S3, owner-enforced, TLS only) read
//                             by one CloudFront distribution through an origin access
//                             control (the bucket has no public access at all), HTTPS only
//                             (HTTP redirects), HTTP/2 and 3, AWS's managed security-headers
//                             policy, and a viewer-request CloudFront Function that serves
//                             the app's routes (/admin, /history, /auth/callback, ...) from
//                             /index.html and /docs from /docs.html.
//           none              nothing: host web/dist yourself.
//   cognitoMode create (default)  a Cognito user pool (e-mail sign-up and sign-in, an
//                             "admin" group whose members the API treats as admins), its
//                             Hosted UI domain, and a public app client (no secret) for the
//                             authorization code flow, which the web app runs with PKCE
//                             (oidc-client-ts), with the distribution's /auth/callback as its
//                             only callback URL.
//           none              no pool: build the web app with your provider's VITE_OIDC_*
//                             (README) and put its settings in <jwtSettingsParameter>.
//
// `npm run deploy:web -- --stage <stage>` (infra/deploy-web.ts) reads these outputs: it
// writes the pool's issuer, key set and client id into <jwtSettingsParameter> (the API's
// token settings), builds web/ with the API URL and the sign-in settings baked in,
// uploads it and invalidates the distribution. test/e2e/deploy-config.test.ts checks the
// packaged template; test/integration/deploy-web.test.ts the upload and the rewrite.
'use strict';

const MODES = ['create', 'none'];
// AWS-managed policies (ids are the same in every account).
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const SECURITY_HEADERS = '67f7725c-6f97-4210-82d7-5512b31e9d03';
const ADMIN_GROUP = 'admin';
const CALLBACK_PATH = '/auth/callback';

/**
 * The viewer-request function (cloudfront-js-2.0). A path with a file extension is a file
 * of the build; any other is one of the app's routes, which only index.html knows.
 */
const REWRITE_FUNCTION = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/docs' || uri === '/docs/') {
    request.uri = '/docs.html';
  } else if (uri.split('/').pop().indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}`;

async function modeOf(resolveVariable, param) {
  const stageKind = await resolveVariable('self:custom.stageKind');
  const requested = String(await resolveVariable(`param:${param}`));
  if (!MODES.includes(requested)) throw new Error(`param ${param} must be one of ${MODES.join(', ')} (got "${requested}")`);
  return stageKind === 'local' ? 'none' : requested;
}

async function settings(resolveVariable) {
  const web = await modeOf(resolveVariable, 'webMode');
  const cognito = await modeOf(resolveVariable, 'cognitoMode');
  if (cognito === 'create' && web !== 'create') throw new Error('param cognitoMode create needs webMode create (the app client calls back to the distribution)');
  const service = String(await resolveVariable('self:service'));
  const stage = String(await resolveVariable('sls:stage'));
  if (cognito === 'create') {
    // The Hosted UI domain prefix: <service>-<stage>-<12-digit account id>.
    const prefix = `${service}-${stage}-`;
    if (!/^[a-z0-9-]+$/.test(prefix) || /aws|amazon|cognito/.test(prefix) || prefix.length + 12 > 63) {
      throw new Error(`cognitoMode create: the stage name "${stage}" cannot make a Cognito domain prefix (lowercase letters, digits and hyphens, no "aws", "amazon" or "cognito", at most ${63 - 12 - service.length - 2} characters)`);
    }
  }
  if (web === 'create' && `${service}-${stage}-web-routes-ap-southeast-1`.length > 64) {
    throw new Error(`webMode create: the stage name "${stage}" is too long for the CloudFront function and access control names (64 characters)`);
  }
  return {
    web,
    cognito,
    service,
    stage,
    priceClass: String(await resolveVariable('param:webPriceClass')),
    jwtSettingsParameter: String(await resolveVariable('param:jwtSettingsParameter')),
  };
}

const webUrl = { 'Fn::Sub': 'https://${WebDistribution.DomainName}' };

function webResources(s) {
  return {
    WebBucket: {
      Type: 'AWS::S3::Bucket',
      // A build can be uploaded again at any time; the bucket outlives a deleted stack
      // (CloudFormation cannot delete a bucket that still holds files).
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      },
    },
    WebBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'WebBucket' },
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'CloudFrontReadsThroughItsOriginAccessControl',
              Effect: 'Allow',
              Principal: { Service: 'cloudfront.amazonaws.com' },
              Action: 's3:GetObject',
              Resource: { 'Fn::Sub': '${WebBucket.Arn}/*' },
              Condition: { StringEquals: { 'AWS:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${WebDistribution}' } } },
            },
            {
              Sid: 'TlsOnly',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [{ 'Fn::GetAtt': ['WebBucket', 'Arn'] }, { 'Fn::Sub': '${WebBucket.Arn}/*' }],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
    WebOriginAccessControl: {
      Type: 'AWS::CloudFront::OriginAccessControl',
      Properties: {
        OriginAccessControlConfig: {
          Name: { 'Fn::Sub': `${s.service}-${s.stage}-web-\${AWS::Region}` },
          OriginAccessControlOriginType: 's3',
          SigningBehavior: 'always',
          SigningProtocol: 'sigv4',
        },
      },
    },
    WebRewriteFunction: {
      Type: 'AWS::CloudFront::Function',
      Properties: {
        Name: { 'Fn::Sub': `${s.service}-${s.stage}-web-routes-\${AWS::Region}` },
        AutoPublish: true,
        FunctionConfig: { Comment: "The web app's routes are served by index.html, /docs by docs.html", Runtime: 'cloudfront-js-2.0' },
        FunctionCode: REWRITE_FUNCTION,
      },
    },
    WebDistribution: {
      Type: 'AWS::CloudFront::Distribution',
      Properties: {
        DistributionConfig: {
          Comment: `${s.service} ${s.stage} web app`,
          Enabled: true,
          HttpVersion: 'http2and3',
          IPV6Enabled: true,
          PriceClass: s.priceClass,
          DefaultRootObject: 'index.html',
          Origins: [
            {
              Id: 'web-bucket',
              DomainName: { 'Fn::GetAtt': ['WebBucket', 'RegionalDomainName'] },
              OriginAccessControlId: { 'Fn::GetAtt': ['WebOriginAccessControl', 'Id'] },
              S3OriginConfig: { OriginAccessIdentity: '' },
            },
          ],
          DefaultCacheBehavior: {
            TargetOriginId: 'web-bucket',
            ViewerProtocolPolicy: 'redirect-to-https',
            AllowedMethods: ['GET', 'HEAD'],
            CachedMethods: ['GET', 'HEAD'],
            Compress: true,
            CachePolicyId: CACHING_OPTIMIZED,
            ResponseHeadersPolicyId: SECURITY_HEADERS,
            FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': ['WebRewriteFunction', 'FunctionMetadata.FunctionARN'] } }],
          },
          // The *.cloudfront.net certificate; CloudFront then accepts TLS 1.0 and up, whatever
          // a minimum would say. A custom domain with an ACM certificate can require TLS 1.2.
          ViewerCertificate: { CloudFrontDefaultCertificate: true },
        },
      },
    },
  };
}

function cognitoResources(s) {
  return {
    UserPool: {
      Type: 'AWS::Cognito::UserPool',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        UserPoolName: `${s.service}-${s.stage}`,
        UsernameAttributes: ['email'],
        // Bob@x.com and bob@x.com are one account (cannot be changed after creation).
        UsernameConfiguration: { CaseSensitive: false },
        AutoVerifiedAttributes: ['email'],
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false } },
        DeletionProtection: 'ACTIVE',
      },
    },
    UserPoolAdminGroup: {
      Type: 'AWS::Cognito::UserPoolGroup',
      Properties: { UserPoolId: { Ref: 'UserPool' }, GroupName: ADMIN_GROUP, Description: 'Operators: the API treats members as admins (cognito:groups)' },
    },
    UserPoolDomain: {
      Type: 'AWS::Cognito::UserPoolDomain',
      Properties: {
        UserPoolId: { Ref: 'UserPool' },
        // Unique per region: the stage and the account id.
        Domain: { 'Fn::Sub': `${s.service}-${s.stage}-\${AWS::AccountId}` },
        // The classic Hosted UI, which needs no branding resource.
        ManagedLoginVersion: 1,
      },
    },
    UserPoolWebClient: {
      Type: 'AWS::Cognito::UserPoolClient',
      Properties: {
        UserPoolId: { Ref: 'UserPool' },
        ClientName: `${s.service}-${s.stage}-web`,
        // A browser app cannot keep a secret: a public client, with PKCE in the app.
        GenerateSecret: false,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid', 'email', 'profile'],
        SupportedIdentityProviders: ['COGNITO'],
        CallbackURLs: [{ 'Fn::Sub': `https://\${WebDistribution.DomainName}${CALLBACK_PATH}` }],
        LogoutURLs: [{ 'Fn::Sub': 'https://${WebDistribution.DomainName}/' }],
        ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
        AccessTokenValidity: 60,
        IdTokenValidity: 60,
        RefreshTokenValidity: 30,
        TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
        EnableTokenRevocation: true,
        PreventUserExistenceErrors: 'ENABLED',
      },
    },
  };
}

module.exports = {
  settings,
  REWRITE_FUNCTION,
  ADMIN_GROUP,
  CALLBACK_PATH,
  resources: async ({ resolveVariable }) => {
    const s = await settings(resolveVariable);
    return {
      ...(s.web === 'create' ? webResources(s) : {}),
      ...(s.cognito === 'create' ? cognitoResources(s) : {}),
    };
  },
  outputs: async ({ resolveVariable }) => {
    const s = await settings(resolveVariable);
    const out = {};
    if (s.web === 'create') {
      Object.assign(out, {
        WebUrl: { Description: 'The web app', Value: webUrl },
        WebBucketName: { Description: 'Where npm run deploy:web uploads the build', Value: { Ref: 'WebBucket' } },
        WebDistributionId: { Description: 'Invalidated by npm run deploy:web', Value: { Ref: 'WebDistribution' } },
      });
    }
    if (s.cognito === 'create') {
      Object.assign(out, {
        CognitoUserPoolId: { Value: { Ref: 'UserPool' } },
        CognitoIssuer: { Description: 'VITE_OIDC_AUTHORITY and the JWT issuer', Value: { 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}' } },
        CognitoWebClientId: { Description: 'VITE_OIDC_CLIENT_ID and the JWT client id', Value: { Ref: 'UserPoolWebClient' } },
        CognitoHostedUiUrl: { Description: 'The Hosted UI (sign-in, sign-up, logout)', Value: { 'Fn::Sub': 'https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com' } },
        JwtSettingsParameterName: { Description: "The API's token settings, written by npm run deploy:web", Value: s.jwtSettingsParameter },
      });
    }
    return out;
  },
};
